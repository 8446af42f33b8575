"""glance-cache-manage: Kilo's commands for one glance-api node's image
cache, sent to its cache API (/v2/cache, Image API v2.14).

    glance-cache-manage [--host H] [--port P] [-A TOKEN] [-f] COMMAND [ID]

Commands: list-cached, list-queued, queue-image ID, delete-cached-image ID,
delete-all-cached-images, delete-queued-image ID, delete-all-queued-images.
Deletes ask for confirmation unless ``-f``. The token comes from ``-A`` or
``OS_AUTH_TOKEN`` (none on a noauth lab). Exit status 0, 1 when the server
refused or could not be reached, 2 for a usage error.
"""

import argparse
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

COMMANDS = ('list-cached', 'list-queued', 'queue-image',
            'delete-cached-image', 'delete-all-cached-images',
            'delete-queued-image', 'delete-all-queued-images')
WITH_IMAGE = ('queue-image', 'delete-cached-image', 'delete-queued-image')
CLEAR_TARGET_HEADER = 'x-image-cache-clear-target'


class CommandError(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='glance-cache-manage',
        description='Manage the image cache of one glance-api node.')
    parser.add_argument('--host', default='0.0.0.0',
                        help='glance-api address (0.0.0.0: this host)')
    parser.add_argument('--port', type=int, default=9292)
    parser.add_argument('--url',
                        help='glance-api URL (http[s]://host:port), '
                             'instead of --host and --port')
    parser.add_argument('-A', '--os-auth-token', '--auth_token',
                        dest='token', default=os.environ.get('OS_AUTH_TOKEN'),
                        help='Keystone token (default: OS_AUTH_TOKEN)')
    parser.add_argument('-f', '--force', action='store_true',
                        help='delete without asking')
    parser.add_argument('-v', '--verbose', action='store_true')
    parser.add_argument('-d', '--debug', action='store_true')
    parser.add_argument('--timeout', type=float, default=60)
    parser.add_argument('command', choices=COMMANDS)
    parser.add_argument('image_id', nargs='?')
    args = parser.parse_args(argv)
    if (args.command in WITH_IMAGE) != (args.image_id is not None):
        parser.error('%s %s' % (args.command, 'takes an image id'
                                if args.command in WITH_IMAGE
                                else 'takes no image id'))
    if not args.url:
        host = '127.0.0.1' if args.host == '0.0.0.0' else args.host
        args.url = 'http://%s:%d' % (host, args.port)
    args.url = args.url.rstrip('/')
    return args


def call(args, method, path, headers=None):
    """The JSON answer (None when empty) of one cache API call."""
    headers = dict(headers or {})
    if args.token:
        headers['X-Auth-Token'] = args.token
    request = urllib.request.Request(args.url + path, method=method,
                                     headers=headers)
    if args.debug:
        print('%s %s' % (method, args.url + path), file=sys.stderr)
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as answer:
            body = answer.read()
    except urllib.error.HTTPError as e:
        raise CommandError('%s %s: %s' % (method, path, _message(e)))
    except (urllib.error.URLError, OSError) as e:
        raise CommandError('cannot reach %s: %s' % (
            args.url, getattr(e, 'reason', e)))
    return json.loads(body) if body else None


def _message(error):
    text = error.read().decode('utf-8', 'replace')
    try:
        detail = json.loads(text).get('message')
    except (ValueError, AttributeError):
        detail = None
    return '%d %s' % (error.code, detail or text.strip()[:300]
                      or error.reason)


def _time(seconds):
    if not seconds:
        return 'N/A'
    return datetime.datetime.fromtimestamp(
        seconds, tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')


def confirm(args, question):
    if args.force:
        return True
    try:
        answer = input('%s [y/N] ' % question)
    except EOFError:
        return False
    return answer.strip().lower() in ('y', 'yes')


def list_cached(args):
    images = call(args, 'GET', '/v2/cache')['cached_images']
    if not images:
        print('No cached images.')
        return
    print('Found %d cached images...' % len(images))
    columns = ('ID', 'Last Accessed (UTC)', 'Last Modified (UTC)', 'Size',
               'Hits')
    rows = [(image['image_id'], _time(image['last_accessed']),
             _time(image['last_modified']), str(image['size']),
             str(image['hits'])) for image in images]
    widths = [max(len(row[i]) for row in rows + [columns])
              for i in range(len(columns))]
    for row in [columns, tuple('-' * w for w in widths)] + rows:
        print('  '.join(value.ljust(width)
                        for value, width in zip(row, widths)).rstrip())


def list_queued(args):
    images = call(args, 'GET', '/v2/cache')['queued_images']
    if not images:
        print('No queued images.')
        return
    print('Found %d queued images...' % len(images))
    print('ID')
    for image_id in images:
        print(image_id)


def queue_image(args):
    call(args, 'PUT', '/v2/cache/%s' % args.image_id)
    if args.verbose:
        print('Queued image %s for caching' % args.image_id)


def delete_cached_image(args):
    if confirm(args, 'Delete cached image %s?' % args.image_id):
        call(args, 'DELETE', '/v2/cache/%s' % args.image_id)
        if args.verbose:
            print('Deleted cached image %s' % args.image_id)


def delete_queued_image(args):
    if args.image_id not in call(args, 'GET', '/v2/cache')['queued_images']:
        raise CommandError('image %s is not queued' % args.image_id)
    if confirm(args, 'Delete queued image %s?' % args.image_id):
        call(args, 'DELETE', '/v2/cache/%s' % args.image_id)
        if args.verbose:
            print('Deleted queued image %s' % args.image_id)


def _clear(args, target, key, what):
    count = len(call(args, 'GET', '/v2/cache')[key])
    if confirm(args, 'Delete all %s images?' % what):
        call(args, 'DELETE', '/v2/cache', {CLEAR_TARGET_HEADER: target})
        if args.verbose:
            print('Deleted %d %s images' % (count, what))


def delete_all_cached_images(args):
    _clear(args, 'cache', 'cached_images', 'cached')


def delete_all_queued_images(args):
    _clear(args, 'queue', 'queued_images', 'queued')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = globals()[args.command.replace('-', '_')]
    try:
        command(args)
    except CommandError as e:
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
