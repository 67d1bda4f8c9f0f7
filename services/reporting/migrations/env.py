from servicekit.migrations import run_env
from services.reporting.adapters.tables import LEDGER_PARTITIONS, metadata

run_env(metadata, run_time_tables=LEDGER_PARTITIONS)
