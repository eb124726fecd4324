"""Who may see and change what the module trusts."""

# Odoo's Settings administrators: every TikTok setting of a website, the
# secrets, the control room and the sidecar's connection are theirs alone
# (models/settings_fields.py explains why even the public ones).
ADMINISTRATORS = 'base.group_system'
