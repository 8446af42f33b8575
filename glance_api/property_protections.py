"""Property protections: who may create, read, update or delete which
custom image properties.

``property_protection_file`` is an ini file whose sections are regular
expressions of property names, tried in file order (the first that matches
decides), each with ``create``, ``read``, ``update`` and ``delete``. With
``property_protection_rule_format = roles`` a value is a comma list of
roles (``@`` anyone, ``!`` no one); with ``policies`` it names one policy
rule. A property no section matches is unprotected; an operation a
matching section leaves out is refused.
"""

import configparser
import re

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception

LOG = logging.getLogger(__name__)

protection_opts = [
    cfg.StrOpt('property_protection_file',
               help='File of property protection rules (see '
                    'etc/property-protections-roles.conf.sample); unset '
                    'means custom properties are unprotected.'),
    cfg.StrOpt('property_protection_rule_format', default='roles',
               choices=[('roles', 'values are comma lists of roles'),
                        ('policies', 'values name policy rules')],
               help='How the values of property_protection_file read.'),
]

CONF = cfg.CONF
CONF.register_opts(protection_opts)

OPERATIONS = ('create', 'read', 'update', 'delete')


def list_opts():
    return protection_opts


class PropertyProtections:
    """The rules of one protection file; ``None`` rules protect nothing."""

    def __init__(self, rules, rule_format='roles', policy=None):
        # [(compiled regex, {operation: [roles] or policy rule name})]
        self.rules = rules
        self.rule_format = rule_format
        self.policy = policy

    @classmethod
    def from_conf(cls, conf=CONF, policy=None):
        """The protections configured, or None when there is no file.

        A file that cannot be read or parsed stops the service: running
        with protections silently off would expose what it protects.
        """
        path = conf.property_protection_file
        if not path:
            return None
        found = conf.find_file(path) or path
        parser = configparser.RawConfigParser()
        try:
            with open(found) as f:
                parser.read_file(f)
        except (OSError, configparser.Error) as e:
            raise RuntimeError('Cannot load property_protection_file %s: %s'
                               % (path, e))
        rule_format = conf.property_protection_rule_format
        rules = []
        for section in parser.sections():
            try:
                regex = re.compile(section)
            except re.error as e:
                raise RuntimeError('Invalid property protection pattern '
                                   '%r in %s: %s' % (section, path, e))
            operations = {}
            for operation in OPERATIONS:
                if not parser.has_option(section, operation):
                    LOG.warning('Property protection [%s] has no %s rule: '
                                'that operation is refused', section,
                                operation)
                    continue
                value = parser.get(section, operation).strip()
                if rule_format == 'roles':
                    operations[operation] = [
                        r.strip() for r in value.split(',') if r.strip()]
                else:
                    operations[operation] = value
            rules.append((regex, operations))
        return cls(rules, rule_format, policy)

    def allowed(self, context, name, operation):
        """Whether ``context`` may ``operation`` the property ``name``."""
        for regex, operations in self.rules:
            if not regex.match(name):
                continue
            rule = operations.get(operation)
            if rule is None:
                return False
            if self.rule_format == 'policies':
                return self.policy.check(context, rule, {})
            if '!' in rule:
                return False
            if '@' in rule:
                return True
            roles = {r.lower() for r in context.roles or []}
            return any(r.lower() in roles for r in rule)
        return True

    def readable(self, context, properties):
        """``properties`` without those ``context`` may not read."""
        return {name: value for name, value in properties.items()
                if self.allowed(context, name, 'read')}

    def check_changes(self, context, old, new):
        """Forbidden unless every created, changed and removed property of
        ``old`` -> ``new`` is allowed."""
        for name in new:
            if name not in old:
                self._require(context, name, 'create')
            elif new[name] != old[name]:
                self._require(context, name, 'update')
        for name in old:
            if name not in new:
                self._require(context, name, 'delete')

    def _require(self, context, name, operation):
        if not self.allowed(context, name, operation):
            raise exception.Forbidden(
                'Property %s is protected: you may not %s it.'
                % (name, operation))
