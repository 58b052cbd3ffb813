"""The notifications room: the person's e-mail acknowledgement after a submission (settings, message, SMTP)."""
