"""Runs the module's pure tests (tests/test_hashing.py) without Odoo.

    python3 tests/vectors/module_tests_without_odoo.py

The tested helpers (tools/hashing.py, tools/contents.py,
tools/settings_resolution.py) import nothing of Odoo; only the test module
does (its base class and tags), so those are stood in by unittest's own.
"""
import importlib.util
import sys
import types
import unittest
from pathlib import Path

MODULE_ROOT = Path(__file__).resolve().parents[2] / 'addon' / 'website_tiktok_events'


def stand_in_for_odoo():
    def package(name, path=None):
        module = types.ModuleType(name)
        module.__path__ = [str(path)] if path else []
        sys.modules[name] = module
        return module

    package('odoo')
    package('odoo.addons')
    package('odoo.addons.website_tiktok_events', MODULE_ROOT)  # its __init__ (models) is not run
    tests = types.ModuleType('odoo.tests')
    tests.BaseCase = unittest.TestCase
    tests.tagged = lambda *tags: (lambda cls: cls)
    sys.modules['odoo.tests'] = tests


def main():
    stand_in_for_odoo()
    spec = importlib.util.spec_from_file_location('module_test_hashing', MODULE_ROOT / 'tests' / 'test_hashing.py')
    test_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_module)
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_module)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() and not result.skipped else 1)


if __name__ == '__main__':
    main()
