"""Tickets' adapters: tables, repositories, the identity directory read model."""
