from . import tiktok_crm_stage_event
from . import tiktok_crm_lead_origin
from . import tiktok_source_event
from . import website
from . import crm_lead
