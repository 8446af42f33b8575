"""The metadata definitions catalog: JSON files (one namespace each) loaded
into, exported from and unloaded out of the database by glance-manage.

A file holds one namespace document as the v2 API shows it: the namespace
attributes plus ``resource_type_associations``, ``properties``, ``objects``
and ``tags``. Files are written in one canonical form (sorted keys, four
spaces, lists sorted by name, empty lists left out), so a load, an export
and an unload of a folder give the same files back.
"""

import json
import os
import re

from oslo_log import log as logging

from glance_registry.common import context as glance_context
from glance_registry.common import exception
from glance_registry.db import metadef

LOG = logging.getLogger(__name__)

DEFAULT_PATH = '/etc/glance/metadefs'
DEFAULT_OWNER = 'admin'
NAMESPACE_ATTRIBUTES = ('namespace', 'display_name', 'description',
                        'visibility', 'protected', 'owner')


def default_path(config_files=()):
    """``metadefs`` beside the configuration files (``/etc/glance/metadefs``
    on an installed controller, the same layout in a lab folder)."""
    for config_file in config_files or ():
        return os.path.join(os.path.dirname(os.path.abspath(config_file)),
                            'metadefs')
    return DEFAULT_PATH


def file_name(namespace_name):
    """``OS::Compute::CPUPinning`` -> ``compute-cpu-pinning.json``."""
    parts = [p for p in namespace_name.split('::') if p]
    if len(parts) > 1 and parts[0] == 'OS':
        parts = parts[1:]
    words = []
    for part in parts:
        words.extend(re.findall(r'[A-Z]+(?=[A-Z][a-z]|\b|[^A-Za-z])|'
                                r'[A-Z]?[a-z]+|[A-Z]+|\d+', part))
    slug = '-'.join(w.lower() for w in words)
    return (slug or re.sub(r'[^A-Za-z0-9]+', '-', namespace_name)) + '.json'


def dumps(document):
    return json.dumps(document, indent=4, sort_keys=True,
                      ensure_ascii=False) + '\n'


def read_documents(path):
    """(file path, document) of every ``*.json`` in ``path``, by name."""
    if not os.path.isdir(path):
        raise exception.Invalid(reason='%s is not a directory' % path)
    documents = []
    for name in sorted(os.listdir(path)):
        if not name.endswith('.json'):
            continue
        full = os.path.join(path, name)
        try:
            with open(full, encoding='utf-8') as f:
                document = json.load(f)
        except ValueError as e:
            raise exception.Invalid(reason='%s is not valid JSON: %s'
                                    % (full, e))
        if not isinstance(document, dict) or not document.get('namespace'):
            raise exception.Invalid(reason='%s names no namespace' % full)
        documents.append((full, document))
    return documents


def _admin():
    return glance_context.get_admin_context()


def _object_values(obj):
    values = {'name': obj['name'],
              'json_schema': dict(obj.get('properties') or {}),
              'required': list(obj.get('required') or [])}
    if obj.get('description') is not None:
        values['description'] = obj['description']
    return values


def _property_values(name, definition):
    definition = dict(definition)
    definition.pop('name', None)
    return {'name': name, 'json_schema': definition}


def load_document(document, merge=False, prefer_new=False, overwrite=False):
    """Load one namespace document; returns what was done, for the log."""
    context = _admin()
    name = document['namespace']
    values = {k: document[k] for k in NAMESPACE_ATTRIBUTES if k in document}
    values.setdefault('owner', DEFAULT_OWNER)
    values.setdefault('visibility', 'public')
    try:
        metadef.metadef_namespace_get(context, name)
        exists = True
    except exception.MetadefNotFound:
        exists = False
    if not exists:
        metadef.metadef_namespace_create(context, values)
    elif not merge:
        return 'skipped %s: it is already in the database' % name
    elif prefer_new:
        metadef.metadef_namespace_update(context, name, values)
    if exists and overwrite:
        for delete in (metadef.metadef_object_delete_namespace_content,
                       metadef.metadef_property_delete_namespace_content,
                       metadef.metadef_tag_delete_namespace_content):
            _unprotected(context, name, delete)

    _load_associations(context, name, document, prefer_new)
    _load_properties(context, name, document, prefer_new)
    _load_objects(context, name, document, prefer_new)
    _load_tags(context, name, document)
    if not exists:
        return 'loaded %s' % name
    return 'merged %s' % name


def _load_associations(context, name, document, prefer_new):
    existing = {a['name'] for a in
                metadef.metadef_resource_type_association_get_by_namespace(
                    context, name)}
    for association in document.get('resource_type_associations') or []:
        if association['name'] in existing:
            if not prefer_new:
                continue
            _unprotected(context, name,
                         metadef.metadef_resource_type_association_delete,
                         association['name'])
        metadef.metadef_resource_type_association_create(
            context, name, {k: v for k, v in association.items()
                            if k in ('name', 'prefix', 'properties_target')
                            and v is not None})


def _load_properties(context, name, document, prefer_new):
    existing = {p['name'] for p in
                metadef.metadef_property_get_all(context, name)}
    for property_name, definition in (document.get('properties')
                                      or {}).items():
        values = _property_values(property_name, definition)
        if property_name not in existing:
            metadef.metadef_property_create(context, name, values)
        elif prefer_new:
            metadef.metadef_property_update(context, name, property_name,
                                            values)


def _load_objects(context, name, document, prefer_new):
    existing = {o['name'] for o in
                metadef.metadef_object_get_all(context, name)}
    for obj in document.get('objects') or []:
        if obj['name'] not in existing:
            metadef.metadef_object_create(context, name, _object_values(obj))
        elif prefer_new:
            metadef.metadef_object_update(context, name, obj['name'],
                                          _object_values(obj))


def _load_tags(context, name, document):
    """Tags are names only: the new ones are added, none is updated."""
    existing = {t['name'] for t in
                metadef.metadef_tag_get_all(context, name)}
    new_tags = [{'name': t['name']} for t in document.get('tags') or []
                if t['name'] not in existing]
    if new_tags:
        metadef.metadef_tag_create_tags(context, name, new_tags,
                                        can_append=True)


def _unprotected(context, namespace_name, operation, *args):
    """Run a deletion inside a protected namespace by lifting the
    protection for its duration (the catalog tool acts as the operator)."""
    namespace = metadef.metadef_namespace_get(context, namespace_name)
    if namespace['protected']:
        metadef.metadef_namespace_update(context, namespace_name,
                                         {'protected': False})
    try:
        return operation(context, namespace_name, *args)
    finally:
        if namespace['protected']:
            metadef.metadef_namespace_update(context, namespace_name,
                                             {'protected': True})


def load(path=DEFAULT_PATH, merge=False, prefer_new=False, overwrite=False):
    """Load every namespace file of ``path``; returns one line per file."""
    if (prefer_new or overwrite) and not merge:
        raise exception.Invalid(reason='--prefer_new and --overwrite need '
                                '--merge')
    results = []
    for full, document in read_documents(path):
        results.append(load_document(document, merge, prefer_new,
                                     overwrite))
        LOG.info('%s (%s)', results[-1], full)
    return results


def export_document(namespace):
    """The canonical document of a namespace row and its content."""
    context = _admin()
    name = namespace['namespace']
    document = {k: namespace[k] for k in NAMESPACE_ATTRIBUTES
                if namespace.get(k) is not None}
    if document.get('owner') == DEFAULT_OWNER:
        del document['owner']
    associations = [
        {k: a[k] for k in ('name', 'prefix', 'properties_target')
         if a.get(k) is not None}
        for a in metadef.metadef_resource_type_association_get_by_namespace(
            context, name)]
    if associations:
        document['resource_type_associations'] = associations
    properties = {p['name']: p['json_schema'] or {}
                  for p in metadef.metadef_property_get_all(context, name)}
    if properties:
        document['properties'] = properties
    objects = []
    for row in metadef.metadef_object_get_all(context, name):
        obj = {'name': row['name'], 'properties': row['json_schema'] or {}}
        if row.get('description') is not None:
            obj['description'] = row['description']
        if row.get('required'):
            obj['required'] = list(row['required'])
        objects.append(obj)
    if objects:
        document['objects'] = objects
    tags = sorted(t['name'] for t in metadef.metadef_tag_get_all(
        context, name, sort_key='name', sort_dir='asc'))
    if tags:
        document['tags'] = [{'name': t} for t in tags]
    return document


def export(path=DEFAULT_PATH):
    """Write one file per namespace into ``path``; returns the files."""
    os.makedirs(path, exist_ok=True)
    written = []
    for namespace in metadef.metadef_namespace_get_all(
            _admin(), sort_key='namespace', sort_dir='asc'):
        full = os.path.join(path, file_name(namespace['namespace']))
        # Two names with the same words (OS::Foo, foo) get two files.
        number = 1
        while full in written:
            number += 1
            full = os.path.join(path, '%s-%d.json' % (
                file_name(namespace['namespace'])[:-len('.json')], number))
        with open(full, 'w', encoding='utf-8') as f:
            f.write(dumps(export_document(namespace)))
        written.append(full)
    return written


def unload():
    """Delete every metadata definition; returns row counts by table."""
    return metadef.metadef_delete_all()
