"""The company deployment on JupyterHub: configuration, account sync, the records service."""

from .accounts import AccountPlan, HubApiError, HubClient, TooManyRemovals, plan_accounts, sync_accounts
from .config import HubConfigError, configure
from .learners import LearnerNames, hub_user_name
from .run import hub_api_url, hub_command, run_hub, sync_hub_accounts

__all__ = [
    "AccountPlan", "HubApiError", "HubClient", "HubConfigError", "LearnerNames", "TooManyRemovals",
    "configure", "hub_api_url", "hub_command", "hub_user_name", "plan_accounts", "run_hub",
    "sync_accounts", "sync_hub_accounts",
]
