"""Learning templates: read by everyone; created and given rubrics by admins and services."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, Parameter

from app import queries
from app.db.rows import the_row
from app.http import paging
from app.http.codec import load, spec, to_json
from app.http.db import DB
from app.http.learning.schemas import LearningTemplate, NewLearningTemplate, NewRubric, Rubric, Track
from app.http.openapi import BEARER, problems

TemplateId = Parameter(title="Learning template id")
LearningTemplatePage = paging.page_of(LearningTemplate)


class LearningTemplateController(Controller):
    path = "/api/v1/learning-templates"
    tags = ["learning: templates"]
    security = BEARER

    @post("/", operation_id="createLearningTemplate",
          summary="Create a learning template: story, subtasks with hints and decisions, rubric v1 (admins, services)",
          responses=problems(401, 403, 409, 422))
    async def create(self, request: Request, db: DB, data: JSONBody[NewLearningTemplate]) -> LearningTemplate:
        async with db.transaction(request) as conn:
            cur = await conn.execute(queries.CREATE_LEARNING_TEMPLATE, {"spec": to_json(spec(data))})
            template_id = the_row(await cur.fetchone())["id"]
            # a second statement: learning_template is STABLE and sees the new rows only from here
            cur = await conn.execute(queries.LEARNING_TEMPLATE, {"id": template_id})
            return load(LearningTemplate, the_row(await cur.fetchone())["template"])

    @get("/", operation_id="listLearningTemplates", summary="Learning templates by track, tier and code (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 422))
    async def list_templates(self, request: Request, db: DB,
                             track: Track | None = Parameter(default=None, description="Only this track"),
                             limit: int = paging.Limit, cursor: str | None = paging.Cursor
                             ) -> Response[LearningTemplatePage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.LEARNING_TEMPLATES, {"track": track, **paging.params(limit, cursor)})
        return paging.envelope(request, LearningTemplatePage, [load(LearningTemplate, r["template"]) for r in rows],
                               rows, limit)

    @get("/{template_id:uuid}", operation_id="getLearningTemplate",
         summary="A learning template (hint texts withheld; hintLevels counts them)", responses=problems(401, 404))
    async def get_template(self, request: Request, db: DB, template_id: UUID = TemplateId) -> LearningTemplate:
        row = await db.one(request, queries.LEARNING_TEMPLATE, {"id": template_id})
        return load(LearningTemplate, row["template"])

    @put("/{template_id:uuid}/rubric", operation_id="setTemplateRubric",
         summary="Set the rubric: edits the latest version while unused, else adds the next version (admins, services)",
         responses=problems(401, 403, 404, 409, 422))
    async def set_rubric(self, request: Request, db: DB, data: JSONBody[NewRubric],
                         template_id: UUID = TemplateId) -> Rubric:
        criteria = [spec(c) for c in data.criteria]
        row = await db.one(request, queries.SET_TEMPLATE_RUBRIC, {"id": template_id, "criteria": to_json(criteria)})
        return load(Rubric, row)
