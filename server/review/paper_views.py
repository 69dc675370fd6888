"""The commune office's blank paper Phiếu B: the workbook to type paper forms into (with the
commune's villages in its drop-down) and the printable blank form (`povcensus.paper`).

Readers of the commune (commune staff, province, admin) may download them; an enumerator has
no commune page and gets 403 like on every other review page.
"""

from __future__ import annotations

from flask import Response, current_app

from server.db import get_db
from server.queries import review as review_queries
from server.queries import rounds as round_queries
from server.review.views import bp, commune_info, commune_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _villages(commune: str) -> list[str]:
    """The villages with households in the commune in the open round (none before the first)."""
    db = get_db()
    review_round = round_queries.open_round_for(db, current_app.config["PROVINCE"])
    return review_queries.villages(db, review_round["id"], commune) if review_round else []


@bp.get("/c/<commune>/phieu-b.xlsx")
@commune_page()
def paper_workbook(commune: str):
    from povcensus import paper

    data = paper.template_workbook(
        province=current_app.config["PROVINCE"], commune=commune, villages=_villages(commune)
    )
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="phieu-b-{commune}.xlsx"'},
    )


@bp.get("/c/<commune>/phieu-b")
@commune_page()
def paper_print(commune: str):
    from povcensus import paper

    page = paper.print_html(commune_name=commune_info(commune)["name"], villages=_villages(commune))
    return Response(page, mimetype="text/html")
