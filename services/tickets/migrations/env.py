from servicekit.migrations import run_env
from services.tickets.adapters.tables import metadata

run_env(metadata)
