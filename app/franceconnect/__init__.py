"""FranceConnect v2 relying party: protocol client (client.py) and, later, its thin blueprint (views.py)."""
