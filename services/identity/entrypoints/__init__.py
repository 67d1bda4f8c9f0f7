"""Identity's entrypoints: gRPC servicers, the server main, demo data, key rotation."""
