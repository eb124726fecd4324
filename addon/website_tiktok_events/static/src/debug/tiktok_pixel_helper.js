/* TikTok Pixel + Events API for Odoo: generated from frontend/src by scripts/buildFrontend.ts; do not edit. LGPL-3.0-or-later */
import { registry as a } from "@web/core/registry";
import { Component as i, onWillDestroy as n, useState as p } from "@odoo/owl";
var e=class extends i{setup(){this.state=p({open:!0,records:[]});let t=o=>{this.state.records=o.map(s=>({...s}))};t(this.props.tracker.records),n(this.props.tracker.subscribe(t))}toggle(){this.state.open=!this.state.open}json(t){return JSON.stringify(t)}};e.template="website_tiktok_events.PixelHelper",e.props={tracker:Object};var r="website_tiktok_events.PixelHelper";a.category("lazy_components").add(r,e);
