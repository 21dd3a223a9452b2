#!/usr/bin/env python3
"""Write the documented keys of the Zero to JupyterHub chart's values, one dotted path a line,
from the chart's ``values.schema.yaml`` (in the chart's repository, jupyterhub/values.schema.yaml,
or ``values.schema.json`` in the packaged chart).  A path ending in ``.*`` is a map whose keys
are free (hub.extraEnv, hub.extraConfig, ...); ``path = a|b`` lists the only values allowed.  tests/test_kubernetes.py checks
deploy/kubernetes/values.yaml against the list; refresh it with each chart upgrade:

    python scripts/z2jh-chart-keys.py path/to/values.schema.yaml "chart 4.x, commit ..." > deploy/kubernetes/chart-keys.txt
"""

import sys

import yaml


def documented_keys(schema: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        enum = sub.get("enum") if isinstance(sub, dict) else None
        keys.append(f"{path} = {'|'.join(str(v) for v in enum)}" if enum else path)
        if isinstance(sub, dict):
            keys.extend(documented_keys(sub, path + "."))
            kinds = sub.get("type") or []
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if "object" in kinds and not sub.get("properties") and sub.get("additionalProperties", True) is not False:
                keys.append(path + ".*")
    return keys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    print(f"# documented values keys of the Zero to JupyterHub chart ({sys.argv[2]}); see scripts/z2jh-chart-keys.py")
    print("\n".join(sorted(set(documented_keys(schema)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
