"""HTTP gateway: FastAPI routes built from the protos' google.api.http annotations."""
