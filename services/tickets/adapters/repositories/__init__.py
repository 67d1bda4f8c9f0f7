"""Tickets' repositories."""
