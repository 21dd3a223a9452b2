"""A made-up company for trying the dashboard and formgrader: ``iso20k demo``."""

from .build import DemoRefused, DemoSummary, build_demo, remove_demo
from .company import DEMO_DOMAIN, make_company

__all__ = ["DEMO_DOMAIN", "DemoRefused", "DemoSummary", "build_demo", "make_company", "remove_demo"]
