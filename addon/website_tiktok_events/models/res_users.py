from odoo import api, fields, models

from .tiktok_claim_queue import SIDECAR_GROUP


class ResUsers(models.Model):
    _inherit = 'res.users'

    @api.model
    def _create_user_from_template(self, values):
        # A visitor who signs up (or a customer invited to the portal) gets a
        # copy of the template user, groups included: never the sidecar's group,
        # whatever an administrator did to the template, since the group reads
        # every website's access token.
        user = super()._create_user_from_template(values)
        group = self.env.ref(SIDECAR_GROUP, raise_if_not_found=False)
        if group and group in user.group_ids:
            user.sudo().write({'group_ids': [fields.Command.unlink(group.id)]})
        return user
