"""Complaints to human staff: detection, tickets, the response-time target."""
