from servicekit.migrations import run_env
from tests.support.sample_service.tables import metadata

run_env(metadata)
