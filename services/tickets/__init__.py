"""Tickets: service catalogue and levels, tickets and their lifecycle, comments, history,
ratings."""
