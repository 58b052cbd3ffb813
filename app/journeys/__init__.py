"""Journeys: what the person came for — information and choice, sign-in, rights, forms, dossier."""
