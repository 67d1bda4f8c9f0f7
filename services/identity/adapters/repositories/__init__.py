"""Repositories: domain objects in, domain objects out; every read takes the caller's
visibility so tenant isolation is enforced in the query itself."""
