from . import tiktok_sidecar_connect
