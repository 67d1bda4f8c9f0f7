"""Access-token verification and the caller's identity."""
