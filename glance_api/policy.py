"""Policy of glance-api: the rules and enforcer both daemons share.

They live in :mod:`glance_registry.common.policy` because the registry
enforces the same rules on its classic REST API; this module names them for
glance-api's service layer (``policy.get_enforcer(conf).enforce(context,
'delete_image', image)``), and is the ``glance.api`` entry point of
``oslo.policy.policies`` for ``oslopolicy-sample-generator``.
"""

from glance_registry.common import policy as _shared

ADMIN = _shared.ADMIN
SERVICE = _shared.SERVICE
PROJECT_MEMBER = _shared.PROJECT_MEMBER
PROJECT_READER = _shared.PROJECT_READER
RULES = _shared.RULES
Enforcer = _shared.Enforcer
get_enforcer = _shared.get_enforcer
list_rules = _shared.list_rules
list_opts = _shared.list_opts
project_target = _shared.project_target
target_of = _shared.target_of
