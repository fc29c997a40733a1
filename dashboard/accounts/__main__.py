"""python -m dashboard.accounts — manage the dashboard's accounts and read the audit trail.

  add USER --role admin|leader|analyst|county [--county CODE] [--email E] [--password-stdin]
  disable USER | enable USER | reset USER [--password-stdin] | list | audit [--since DATE] [--user U] [--limit N]
  demo    the demo's accounts, one per role (the county user for 昌图县), passwords printed once

Without --password-stdin the password is asked for twice at the terminal (never on the command line, where other
users could read it in the process list). The store is ACCOUNTS_PATH, or accounts.sqlite beside WAREHOUSE_PATH.
"""
from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from datetime import date, datetime, timezone

from dashboard.access import ROLES
from dashboard.accounts.store import BEIJING, CLI, EVENTS, AccountError, Store
from dashboard.admin import COUNTIES   # code → name of the seven counties

DEMO = {"admin": ("demo-admin", None), "leader": ("demo-leader", None), "analyst": ("demo-analyst", None),
        "county": ("demo-changtu", "211224")}


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码:")
    if getpass.getpass("再次输入密码:") != first:
        raise AccountError("两次输入的密码不一致。")
    return first


def _show_time(t: datetime | None) -> str:
    return (t.astimezone(BEIJING)).strftime("%Y-%m-%d %H:%M") if t else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.accounts", description="看板账号管理与审计日志")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="新建账号")
    add.add_argument("user")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--county", help="县区用户绑定的区县代码,如 211224(昌图县)")
    add.add_argument("--email", help="统一身份认证(OpenID Connect)登录时对应的电子邮箱")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码(一行)")
    add.add_argument("--no-password", action="store_true", help="不设密码,只用统一身份认证登录(须有 --email)")
    for name, text in (("disable", "停用账号"), ("enable", "启用账号")):
        sub.add_parser(name, help=text).add_argument("user")
    reset = sub.add_parser("reset", help="重置密码(同时解除锁定)")
    reset.add_argument("user")
    reset.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list", help="列出账号")
    audit = sub.add_parser("audit", help="查看审计日志(最新在前)")
    audit.add_argument("--since", type=date.fromisoformat, help="起始日期(北京时间),如 2023-06-01")
    audit.add_argument("--user")
    audit.add_argument("--event", choices=list(EVENTS))
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true", help="每行一条 JSON")
    sub.add_parser("demo", help="创建演示账号(每个角色一个),只打印一次密码")
    args = parser.parse_args(argv)
    store = Store()
    try:
        if args.command == "add":
            if args.county and args.county not in COUNTIES:
                raise AccountError(f"区县代码 {args.county} 不是铁岭市的区县:{'、'.join(f'{k} {v}' for k, v in COUNTIES.items())}")
            password = None if args.no_password else _password(args)
            account = store.add(args.user, args.role, password, args.county, args.email, by=CLI)
            print(f"已新建账号 {account.username}({ROLES[account.role]}"
                  f"{'·' + COUNTIES[account.county_code] if account.county_code else ''})")
        elif args.command in ("disable", "enable"):
            store.set_disabled(args.user, args.command == "disable", by=CLI)
            print(f"已{'停用' if args.command == 'disable' else '启用'}账号 {args.user}")
        elif args.command == "reset":
            store.reset_password(args.user, _password(args), by=CLI)
            print(f"已重置账号 {args.user} 的密码,并解除锁定")
        elif args.command == "list":
            print("用户名\t角色\t区县\t电子邮箱\t状态\t创建时间(北京时间)")
            for a in store.list():
                state = "停用" if a.disabled else ("锁定" if a.locked_until and a.locked_until > datetime.now(timezone.utc)
                                                 else "正常")
                print(f"{a.username}\t{ROLES[a.role]}\t{COUNTIES.get(a.county_code, a.county_code or '')}\t"
                      f"{a.email or ''}\t{state}\t{_show_time(a.created_at)}")
        elif args.command == "audit":
            since = (datetime.combine(args.since, datetime.min.time(), BEIJING) if args.since else None)
            rows = store.audit_rows(since=since, users=(args.user,) if args.user else (),
                                    events=(args.event,) if args.event else (), limit=args.limit)
            for r in rows:
                if args.json:
                    print(json.dumps(r, ensure_ascii=False))
                else:
                    when = _show_time(datetime.fromisoformat(r["at"]))
                    print(f"{when}\t{r['username'] or ''}\t{EVENTS[r['event']]}\t{r['page'] or ''}\t"
                          f"{r['detail'] or ''}\t{r['client'] or ''}")
        elif args.command == "demo":
            made = []
            for role, (user, county) in DEMO.items():
                if store.get(user):
                    continue
                password = "Demo-" + secrets.token_urlsafe(9)
                store.add(user, role, password, county, by=CLI)
                made.append((user, role, county, password))
            if made:
                print("演示账号(仅供演示,切勿用于正式环境;密码只显示这一次):")
                for user, role, county, password in made:
                    print(f"  {user}\t{ROLES[role]}{'·' + COUNTIES[county] if county else ''}\t密码 {password}")
            else:
                print("演示账号已存在(密码只在创建时显示;忘记时:python -m dashboard.accounts reset 用户名)")
    except AccountError as exc:
        print(f"错误:{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
