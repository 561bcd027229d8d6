"""Projects: ``awe project create NAME --default-privileges N``, ``add-user``, ``list``.

A project groups objects: level-2 objects are seen by its members, and its managers may
publish and force-delete its objects. New objects of a session in the project get its default
privileges unless ``AWE_PRIVILEGES`` says otherwise. Run by an administrator (a PostgreSQL
superuser or a member of ``awe_owner``).
"""

from __future__ import annotations

import argparse

HELP = "create projects, add users to them, list them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``create``, ``add-user`` and ``list``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a project")
    create.add_argument("name", metavar="NAME", help="project name: a-z, 0-9, _")
    create.add_argument("--default-privileges", type=int, default=2, metavar="N",
                        choices=range(1, 6),
                        help="privileges of new objects in the project, 1-5 (default 2)")
    add = sub.add_parser("add-user", help="add a user to a project")
    add.add_argument("project", metavar="PROJECT")
    add.add_argument("user", metavar="USER")
    add.add_argument("--manager", action="store_true",
                     help="the user manages the project (publishes, force-deletes)")
    sub.add_parser("list", help="list the projects")


def run(args: argparse.Namespace) -> int:
    """Create a project, add a member, or list the projects."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.database.accounts import add_member, create_project
    from common.persistent.projects import projects
    from common.persistent.session import current_session

    database = current_session().database
    if args.action == "create":
        create_project(database, args.name, args.default_privileges)
        print(f"project {args.name}: created, default privileges {args.default_privileges}")
    elif args.action == "add-user":
        add_member(database, args.project, args.user, manager=args.manager)
        print(f"project {args.project}: {args.user} added"
              + (" as a manager" if args.manager else ""))
    else:
        for found in projects():
            print(f"{found.name:30} default privileges {found.default_privileges}")
    return 0
