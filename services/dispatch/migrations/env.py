from servicekit.migrations import run_env
from services.dispatch.adapters.tables import metadata

run_env(metadata)
