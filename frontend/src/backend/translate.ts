/**
 * The one import of Odoo's `_t` in the control room. esbuild renames an
 * external import that several modules make (`_t2`, `_t3`), and Odoo's
 * translation extractor only finds calls spelled `_t("...")`; imported from
 * here, every call keeps that spelling in the built file.
 */
export { _t } from '@web/core/l10n/translation';
