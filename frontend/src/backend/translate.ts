/**
 * The one import of Odoo's `_t` in the control room, for the type checker and
 * the tests. Odoo's translation extractor only finds calls spelled
 * `_t("...")`, and the minified bundle would rename an imported `_t`: the
 * build (scripts/buildFrontend.ts, keepTranslationName) drops this import
 * line from each module and binds `_t` once, at the top of the bundle.
 */
export { _t } from '@web/core/l10n/translation';
