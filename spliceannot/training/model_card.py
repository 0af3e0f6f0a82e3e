"""The model card (README.md of a species model directory) rendered from a species report."""


def table_rows(report: dict) -> list:
    """One row per evaluated model: sites, top-k and PR-AUC per class, means, ECE."""
    rows = []
    for name, r in report["test"]["models"].items():
        m, c = r["metrics"], r["calibration"]
        rows.append([name, f"{m['acceptor']['sites']}/{m['donor']['sites']}",
                     f"{m['acceptor']['topk']:.3f}", f"{m['donor']['topk']:.3f}",
                     f"{m['mean_topk']:.3f}", f"{m['acceptor']['pr_auc']:.3f}",
                     f"{m['donor']['pr_auc']:.3f}", f"{m['mean_pr_auc']:.3f}",
                     f"{c['nll']:.5f}", f"{c['ece']:.5f}"])
    return rows


TABLE_HEADER = ["model", "sites a/d", "top-k acc", "top-k don", "top-k mean", "PR-AUC acc",
                "PR-AUC don", "PR-AUC mean", "test NLL", "test ECE"]


def _table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(report: dict) -> str:
    cfg, t = report["config"], report["transfer"]
    tc = t["config"]
    splits = report["data"]["splits"]
    cal = report["calibration"]
    data_rows = [[s, v["genes"], v["windows"], v["positions"], v["acceptors"], v["donors"]]
                 for s, v in splits.items()]
    member_rows = [[m["member"], m["steps"], m["best_epoch"], m["stopped_by"],
                    m["val_loss_start"], m["val_loss_best"], m["seconds"], m["positions_per_s"]]
                   for m in t["members"]]
    cal_rows = [[k, f"{cal['val']['before'][k]:.5f}", f"{cal['val']['after'][k]:.5f}",
                 f"{cal['test_before'][k]:.5f}", f"{cal['test_after'][k]:.5f}"]
                for k in ("nll", "ece", "ece_acceptor", "ece_donor")]
    test = report["test"]
    short = [m["member"] for m in t["members"] if m["stopped_by"] == "budget" and
             m["epochs_run"] == 1]
    warning = (f"\n**Warning: the budget ran out within the first epoch for member(s) {short}; "
               f"those members are barely trained. Give a larger --budget.**\n" if short else "")
    return f"""# Splice-site model for {report['species']}

A SpliceAI-architecture ensemble ({len(t['members'])} members, {tc['context']} nt context)
transferred from `{report['source']}` by `spliceannot train species`, for
`spliceannot score --model ...`. Calibration temperatures (neither, acceptor, donor):
{cal['temperatures']}, applied when scoring.

## Licence

{report['licence']}. The weights are a derived work of the starting weights, whatever licence
the code that produced them has.

## Data

Reference `{cfg['reference']}`, annotation `{cfg['annotation']}`; one transcript per
protein-coding gene; test chromosomes {cfg['test_chroms'] or 'SpliceAI default 1,3,5,7,9'},
training chromosomes {cfg['train_chroms'] or 'all others (no organelles)'}, validation =
{cfg['val_fraction']} of the training genes (by name hash).

{_table(['split', 'genes', 'windows', 'positions', 'acceptors', 'donors'], data_rows)}

## Recipe

Cached transfer: each member starts from source network `member mod N`; its frozen prefix is
computed once per window and cached; the last {tc['trainable_units']} residual units, every skip
projection and the head train (AdamW, lr {tc['lr']}, weight decay {tc['weight_decay']}, one
cosine curve with {tc['warmup_steps']} warm-up steps, batches of {tc['batch_size']} windows,
up to {tc['epochs']} epochs, the best validation loss kept, patience {tc['patience']}; windows
with splice sites only: {tc['sites_only']}); budget {tc['budget_s']} s; device
{t['members'][0]['device'] if t['members'] else '?'}. Whole transfer: {t['seconds']} s.
{warning}
{_table(['member', 'steps', 'best epoch', 'stopped by', 'val loss start', 'val loss best',
         'seconds', 'positions/s'], member_rows)}

## Evaluation (every window of every test gene)

{test['genes']} genes, {test['windows']} windows, {test['positions']} labelled positions. Top-k:
k = number of true sites of the class; PR-AUC = average precision.

{_table(TABLE_HEADER, table_rows(report))}

## Calibration

Temperature scaling fitted on the validation split ({cal['val']['positions']} positions),
reported on the validation split (as fitted) and on the test split (held out). ECE: 15 bins,
top-label; class-wise for acceptor and donor. Reliability diagram on test:
{'`reliability_test.png`' if cal.get('reliability_png') else 'not drawn (no matplotlib)'}.

{_table(['metric', 'val before', 'val after', 'test before', 'test after'], cal_rows)}
"""
