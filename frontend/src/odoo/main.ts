/**
 * Entry point of the browser bundle (addon static/src/js/tiktok_events.js).
 * Importing the interactions registers them with Odoo's public interactions.
 */
import './interactions';
