"""Drive SpliceAI-lookup's own page (your copy of its ``index.html``) in headless Chromium
against ``spliceannot serve``, and report which tables rendered.

The page is not part of this repository (fetch it yourself: github.com/broadinstitute/
SpliceAI-lookup, MIT) and this script fetches nothing: give its path with ``--page``. Only the
page's backend URLs are rewritten (its ``*.a.run.app`` services -> the local serve). Offline, its
CDN scripts are replaced: jQuery and underscore by local copies (Debian's libjs-jquery and
libjs-underscore), Semantic UI's jQuery plugins, the tabix reader and igv.js by no-op stubs (the
tables do not need them; the IGV view and the PrimateAI/AlphaMissense rows do).

    python benchmarks/lookup_page_check.py --page /path/to/SpliceAI-lookup/index.html
    python benchmarks/lookup_page_check.py --page index.html --pangolin /path/to/pangolin/models \\
        -A gencode.gtf -R hg38.fa --variants 16-12272-C-T 16-12272
    python benchmarks/lookup_page_check.py --page index.html --model tiny-dir \\
        --plugins-dir tests/data/plugins          # smoke, the tiny test model

For each variant it opens ``page#variant=...&hg=38&bc=basic&distance=D&mask=0`` (the page
submits from the hash), waits for the search to finish and prints whether the SpliceAI and
Pangolin tables are shown, their rows, the error box and the page's JavaScript errors. Exit 1
if a table the serve answers for did not render.
"""

import argparse
import functools
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

FASTA = "examples/data/hg38_chr16_186964-397118.fa"
ANNOTATION = "annotations/hg38_chr16_186964-397118.refseq.txt"
JQUERY = "/usr/share/javascript/jquery/jquery.min.js"
UNDERSCORE = "/usr/share/javascript/underscore/underscore.min.js"
BACKEND = re.compile(r"https://[a-z0-9-]+-xwkwwwxdwq-uc\.a\.run\.app")
STUBS = """
(function ($) {
  for (const name of ["modal", "popup", "checkbox", "dropdown", "transition", "accordion",
                      "tab", "progress", "sticky", "visibility", "dimmer", "search"]) {
    $.fn[name] = function () { return this; };
  }
})(jQuery);
window.gmodTABIX = {TabixIndexedFile: class { constructor() {} async getLines() {} }};
window.igv = {createBrowser: async () => ({loadSessionObject: async () => {}}),
              removeBrowser: () => {}};
"""
# the bundled chr16 slice: a '-' strand donor (3172) and a '+' strand one (67718)
DEFAULT_VARIANTS = ["16-3173-C-G", "16-3173-C-CTTAG", "16-3173-CTGA-C", "16-3173-CTG-AA",
                    "16-67719-G-A", "16-67719-G-GCA", "16-67719-GTGA-G", "16-67719-GT-CCA",
                    "16-3173", "16-67719"]


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def script_tag(src_pattern, text, html):
    """Replace the <script src=...> matching ``src_pattern`` by an inline script."""
    tag = re.compile(r'<script[^>]*src="[^"]*' + src_pattern + r'[^"]*"[^>]*></script>')
    return tag.sub(lambda _: "<script>" + text.replace("</script", "<\\/script") + "</script>",
                   html, count=1)


def rewrite(page: str, base: str, jquery: str, underscore: str) -> str:
    page = BACKEND.sub(base, page)
    page = script_tag("jquery", open(jquery).read(), page)
    page = script_tag("semantic", STUBS, page)
    page = script_tag("underscore", open(underscore).read(), page)
    page = script_tag("tabix", "", page)
    page = script_tag("igv", "", page)
    page = re.sub(r'<script async src="https://www.googletagmanager[^>]*></script>', "", page)
    return re.sub(r'<link rel="stylesheet" href="https://[^"]*"/?>', "", page)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_folder(folder) -> str:
    handler = functools.partial(Quiet, directory=folder)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def start_serve(args, port):
    cmd = [sys.executable, "-m", "spliceannot", "serve", "-R", args.reference, "-A",
           args.annotation, "--model", args.model, "--port", str(port), "-q",
           "-D", str(args.distance)]
    if args.pangolin:
        cmd += ["--model", args.pangolin]
    if args.plugins_dir:
        cmd += ["--plugins-dir", args.plugins_dir]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(3000):
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                sys.exit("serve exited: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.1)
    sys.exit("serve did not start")


def answered(base, tool, variant, distance):
    query = urllib.parse.urlencode({"hg": "38", "bc": "basic", "distance": distance,
                                    "mask": 0, "variant": variant})
    try:
        with urllib.request.urlopen(f"{base}/{tool}/?{query}", timeout=600) as r:
            return "error" not in json.loads(r.read())
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--page", required=True, help="your copy of SpliceAI-lookup's index.html")
    p.add_argument("-R", "--reference", default=FASTA)
    p.add_argument("-A", "--annotation", default=ANNOTATION)
    p.add_argument("--model", default="spliceai")
    p.add_argument("--pangolin", default=None, help="Pangolin weights folder: also /pangolin/")
    p.add_argument("--plugins-dir", default=None)
    p.add_argument("--distance", type=int, default=500)
    p.add_argument("--variants", nargs="*", default=DEFAULT_VARIANTS)
    p.add_argument("--jquery", default=JQUERY)
    p.add_argument("--underscore", default=UNDERSCORE)
    p.add_argument("--timeout", type=float, default=600)
    args = p.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By

    proc, base = start_serve(args, free_port())
    folder = tempfile.mkdtemp(prefix="lookup_page_")
    with open(os.path.join(folder, "index.html"), "w") as handle:
        handle.write(rewrite(open(args.page).read(), base, args.jquery, args.underscore))
    page_url = serve_folder(folder) + "/index.html"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=DriverService("/usr/bin/chromedriver"), options=options)
    failed = 0
    try:
        for v in args.variants:
            driver.get("about:blank")
            driver.get(page_url + "#" + urllib.parse.urlencode(
                {"variant": v, "hg": "38", "bc": "basic", "distance": args.distance,
                 "mask": "0"}))
            end = time.monotonic() + args.timeout
            time.sleep(1)
            while time.monotonic() < end and "loading" in (
                    driver.find_element(By.ID, "submit-button").get_attribute("class") or ""):
                time.sleep(0.5)
            row = {"variant": v}
            for tool in ("spliceai", "pangolin"):
                shown = driver.find_element(By.ID, f"{tool}-table").is_displayed()
                rows = len(driver.find_elements(By.CSS_SELECTOR, f".{tool}-result-row"))
                expected = (tool == "spliceai" or args.pangolin) and \
                    answered(base, tool, v.replace(":", "-"), args.distance)
                row[tool] = f"{'shown' if shown else 'hidden'} ({rows} rows)"
                if expected and not (shown and rows):
                    failed += 1
                    row[tool] += " EXPECTED"
            icons = driver.find_elements(
                By.CSS_SELECTOR, ".per-position-table-icon:not(.per-position-table-icon-disabled)")
            if icons:  # the per-position table of the first transcript that has one
                driver.execute_script("arguments[0].click()", icons[0])
                time.sleep(2)
                table = driver.find_elements(By.CSS_SELECTOR, "#per-position-modal-content tr")
                row["per_position_rows"] = max(len(table) - 1, 0)
            row["error_box"] = driver.find_element(By.ID, "error-box").text[:200]
            row["js_errors"] = [e["message"][:200] for e in driver.get_log("browser")
                                if e["level"] == "SEVERE" and "ERR_" not in e["message"]
                                and "net::" not in e["message"]]
            print(json.dumps(row))
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=60)
    print(f"{'PASS' if not failed else 'FAIL'}: {failed} table(s) the serve answers did not "
          f"render")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
