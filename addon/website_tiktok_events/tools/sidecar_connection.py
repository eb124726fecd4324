"""What the "Connect the sidecar" wizard shows with a new key (pure).

The sidecar reads its Odoo connection from four environment variables
(README, "The sidecar"); the project's docker-compose.yml passes ODOO_DB,
ODOO_LOGIN and ODOO_API_KEY from an `.env` file next to it and reaches Odoo as
http://odoo:8069 on the compose network.
"""

COMPOSE_ODOO_URL = 'http://odoo:8069'


def environment_lines(odoo_url, db, login, key):
    """The four variables, ready for an environment file or a shell."""
    return '\n'.join((
        'ODOO_URL=%s' % odoo_url,
        'ODOO_DB=%s' % db,
        'ODOO_LOGIN=%s' % login,
        'ODOO_API_KEY=%s' % key,
    ))


def compose_snippet(db, login, key):
    """For the project's docker-compose.yml: the `.env` lines it reads, and how to restart the sidecar."""
    return '\n'.join((
        '# .env, next to docker-compose.yml (never commit it)',
        'ODOO_DB=%s' % db,
        'ODOO_LOGIN=%s' % login,
        'ODOO_API_KEY=%s' % key,
        '',
        '# the sidecar service already reads them:',
        '#   ODOO_URL: %s' % COMPOSE_ODOO_URL,
        '#   ODOO_DB: ${ODOO_DB}',
        '#   ODOO_LOGIN: ${ODOO_LOGIN}',
        '#   ODOO_API_KEY: ${ODOO_API_KEY}',
        'docker compose up -d sidecar',
    ))
