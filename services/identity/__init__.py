"""Identity and tenancy: organisations, people, roles and permissions, sign-in, security log."""
