"""The suite's services; each imports servicekit and the generated stubs, never another
service."""
