# Copy to instance/config.py (git-ignored) and adapt. Environment variables FLASK_<KEY> override it.
# See the README's configuration table for every key.

# ENVIRONMENT = "development"          # production (default) | development | test
# SECRET_KEY = "..."                   # required in production: python -c 'import secrets; print(secrets.token_urlsafe(48))'
# PUBLIC_URL = "https://droits-connect.example.fr"

# FranceConnect v2 integration environment (keys from the partners' portal):
# FC_ISSUER = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"
# FC_CLIENT_ID = "..."
# FC_CLIENT_SECRET = "..."
# FC_ID_TOKEN_ALG = "ES256"            # must match the algorithm registered for the client
# SANDBOX = False

# REDIS_URL = "redis://127.0.0.1:6379/0"   # server-side sessions shared by several instances
# SESSION_ENCRYPTION_KEYS = ["..."]     # Fernet keys encrypting stored sessions (first encrypts); required in production
# SINGLE_INSTANCE = False              # production: True accepts SQLite because only one instance runs
