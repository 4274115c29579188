"""Reporter pages on a cold and a warm visit without JavaScript (Tor Browser "Safest"):
requests and bytes as sent (static files gzip-compressed, pages never), against the
limits of docs/PERFORMANCE.md ("Static files and warm visits"). A script that prints
figures, not a test; tests/portal/test_static_files.py and tests/browser/test_warm_visit.py
guard the shape.

    .venv/bin/python bench/page_weight_bench.py
"""

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crypto.keys import SecretIdentity  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import Settings  # noqa: E402

LOADED = re.compile(r'<(?:link[^>]+href|img[^>]+src)="(/static/[^"]+)"')
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
LIMIT_BYTES, LIMIT_REQUESTS = 25_000, 3


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "keys").mkdir()
        (data / "keys" / "office.pub").write_text(SecretIdentity.generate().public.to_text())
        app = create_app(Settings(data_dir=data, database_url=f"sqlite:///{data}/v.sqlite3"))
        client = app.test_client()
        print(f"{'page':28s} {'cold requests':>13s} {'cold bytes':>10s} {'warm requests':>13s}")
        for lang in ("nb", "nn", "en"):
            client.get(f"/?lang={lang}")
            report = client.get("/report").text
            token_found = TOKEN.search(report)
            assert token_found, "the form carries a CSRF token"
            pages = {path: client.get(path).text for path in ("/", "/report", "/follow-up",
                                                              "/privacy")}
            pages["/report with errors"] = client.post(
                "/report", data={"csrf_token": token_found[1], "what_happened": ""}).text
            pages["/follow-up failed"] = client.post(
                "/follow-up", data={"csrf_token": token_found[1], "receipt": "feil"}).text
            for name, html in pages.items():
                requests, size = 1, len(html.encode())
                warm = 1
                for url in LOADED.findall(html):
                    response = client.get(url, headers={"Accept-Encoding": "gzip"})
                    requests += 1
                    size += len(response.data)
                    if "immutable" not in response.headers.get("Cache-Control", ""):
                        warm += 1  # revalidated on every visit
                print(f"{name + ' (' + lang + ')':28s} {requests:13d} {size:10d} {warm:13d}")
        print(f"limits: cold <= {LIMIT_REQUESTS} requests and <= {LIMIT_BYTES} bytes; "
              "warm = 1 request")


if __name__ == "__main__":
    main()
