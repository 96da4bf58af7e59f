"""`python -m rag.ask "问题" [--json] [--history FILE] [--filters JSON]`

Streams the answer to the terminal as the model writes it, then prints the checked final answer
(grounding may have removed sentences) and the cited clauses. `--json` prints only the
prediction object of ../shared/eval-format.md. `--history` reads earlier turns from a JSON file:
[{"role": "user", "content": "…"}, {"role": "assistant", "content": "…"}].
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.answer import AnswerPipeline, Final, Token
from rag.errors import ModelError
from rag.index import IndexProblem
from rag.llm import LLMError
from rag.validity import citation_badge


def _load_json(path: Path | None, what: str):
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {what} {path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.ask", description=__doc__.split("\n")[0])
    parser.add_argument("question")
    parser.add_argument("--json", action="store_true", help="print the prediction object as JSON")
    parser.add_argument("--history", type=Path, help="JSON file with earlier turns")
    parser.add_argument("--filters", help='JSON, e.g. {"region": "东莞市", "include_drafts": false}')
    args = parser.parse_args(argv)
    try:
        history = _load_json(args.history, "history")
        filters = json.loads(args.filters) if args.filters else None
        pipeline = AnswerPipeline.from_settings()
        final = None
        streamed = False
        for event in pipeline.stream(args.question, history, filters):
            if isinstance(event, Token) and not args.json:
                print(event.text, end="", flush=True)
                streamed = True
            elif isinstance(event, Final):
                final = event.prediction
    except (ValueError, IndexProblem, ModelError, LLMError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=1))
        return 0 if final.error is None else 1
    if streamed:
        print("\n" + "─" * 40)
    print(final.answer)
    if final.citations:
        print("\n引用条款 / Sources:")
        for n, c in enumerate(final.citations, 1):
            who = f"（{'、'.join(c['responsible'])}）" if c.get("responsible") else ""
            badge = citation_badge(c)
            draft = f" [{badge}]" if badge else ""
            print(f"[{n}] {c['label']}{draft}{who}\n    {c['text'][:300]}{'…' if len(c['text']) > 300 else ''}")
    t = final.timings
    print(
        f"\n({final.extra.get('route')}; first token {t.get('first_token_s')}s, total {t.get('total_s')}s)",
        file=sys.stderr,
    )
    return 0 if final.error is None else 1


if __name__ == "__main__":
    sys.exit(main())
