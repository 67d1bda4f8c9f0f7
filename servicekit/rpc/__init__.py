"""gRPC plumbing: server bootstrap, interceptors, status mapping, client channels."""
