"""Identity's adapters: tables, repositories, password hashing, signing keys, WeChat."""
