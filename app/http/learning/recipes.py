"""Recipes (micro-learning) over HTTP: the library, curation and links to learning templates (admins,
services), a participant's usage, and the recommendations for a learning mission's stage.

Reading is for every principal; curation is for admins and services (others: 403); usage and
recommendations are a participant's own (admins and services: anyone's).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from app import queries
from app.db.rows import the_row
from app.http import paging
from app.http.codec import load, spec, to_json
from app.http.db import DB, Database
from app.http.learning.missions import MissionId
from app.http.learning.schemas import (
    NewRecipe,
    NewRecipeTemplateLink,
    Recipe,
    RecipeLinked,
    RecipeRecommendation,
    RecipeSummary,
    RecipeType,
    RecipeUnlinked,
    RecipeUpdate,
    RecipeUsage,
    RecipeUsageEvent,
)
from app.http.openapi import BEARER, problems

RecipePage = paging.page_of(RecipeSummary)
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SlugParam = Parameter(title="Recipe slug", description="Lower-case words joined by hyphens, like read-auth-logs",
                      pattern=SLUG_PATTERN, max_length=100)


def _also(status: int, container: type, description: str) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=container, description=description)}


async def _upsert(request: Request, db: Database, fields: dict[str, Any]) -> Response[Recipe]:
    """upsert_recipe, then the recipe with its links (a second statement sees the change): 201 when the slug
    was new, 200 when an existing recipe was changed."""
    async with db.transaction(request) as conn:
        cur = await conn.execute(queries.UPSERT_RECIPE, {"spec": to_json(fields)})
        upserted = the_row(await cur.fetchone())
        cur = await conn.execute(queries.RECIPE, {"slug": upserted["slug"]})
        recipe = load(Recipe, the_row(await cur.fetchone())["recipe"])
    return Response(recipe, status_code=201 if upserted["created"] else 200)


class RecipeController(Controller):
    path = "/api/v1"
    tags = ["learning: recipes"]
    security = BEARER

    @get("/recipes", operation_id="listRecipes",
         summary="The recipe library by slug: search (title, slug, content, skills), skill, type (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 422))
    async def list_recipes(
        self, request: Request, db: DB,
        search: str | None = Parameter(default=None, max_length=200,
                                       description="Case-insensitive text in the title, slug, content or skills"),
        skill: str | None = Parameter(default=None, max_length=100, description="Only recipes teaching this skill"),
        type: RecipeType | None = Parameter(default=None, description="Only recipes of this type"),
        limit: int = paging.Limit, cursor: str | None = paging.Cursor,
    ) -> Response[RecipePage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.RECIPES, {"search": search, "skill": skill, "type": type,
                                                        **paging.params(limit, cursor)})
        return paging.envelope(request, RecipePage, [load(RecipeSummary, r["recipe"]) for r in rows], rows, limit)

    @post("/recipes", operation_id="createRecipe",
          summary="Create a recipe (admins, services); an existing slug is updated with the given fields instead",
          description="201 with the new recipe; 200 when the slug existed and its given fields were changed.",
          responses={**_also(200, Recipe, "The slug existed: the recipe with the given fields changed"),
                     **problems(401, 403, 422)})
    async def create(self, request: Request, db: DB, data: JSONBody[NewRecipe]) -> Response[Recipe]:
        return await _upsert(request, db, spec(data))

    @get("/recipes/{slug:str}", operation_id="getRecipe",
         summary="A recipe with its links to learning templates and subtasks", responses=problems(401, 404, 422))
    async def get_recipe(self, request: Request, db: DB, slug: str = SlugParam) -> Recipe:
        row = await db.one(request, queries.RECIPE, {"slug": slug})
        return load(Recipe, row["recipe"])

    @put("/recipes/{slug:str}", operation_id="putRecipe",
         summary="Create or update the recipe with this slug (admins, services); only the given fields change",
         description="200 when the recipe existed; 201 when it was created (then title and type are required, "
                     "422 otherwise).",
         responses={**_also(201, Recipe, "Created: the slug was new"), **problems(401, 403, 422)})
    async def put_recipe(self, request: Request, db: DB, data: JSONBody[RecipeUpdate],
                         slug: str = SlugParam) -> Response[Recipe]:
        return await _upsert(request, db, {**spec(data), "slug": slug})

    @delete("/recipes/{slug:str}", operation_id="deleteRecipe", status_code=200,
            summary="Delete a recipe with its links and usage (admins, services); returns it",
            responses=problems(401, 403, 404, 422))
    async def delete_recipe(self, request: Request, db: DB, slug: str = SlugParam) -> RecipeSummary:
        row = await db.one(request, queries.DELETE_RECIPE, {"slug": slug})
        return load(RecipeSummary, row["recipe"])

    @post("/recipes/{slug:str}/links", operation_id="linkRecipe",
          summary="Link the recipe to a learning template (no subtask: the whole mission) or one subtask "
                  "(admins, services)",
          description="Idempotent: 201 with `created: true` when the link was added, 200 with `created: false` "
                      "when it existed. 404 unknown recipe or template; 422 when the template has no such subtask.",
          responses={**_also(200, RecipeLinked, "Already linked (`created: false`)"),
                     **problems(401, 403, 404, 422)})
    async def link(self, request: Request, db: DB, data: JSONBody[NewRecipeTemplateLink],
                   slug: str = SlugParam) -> Response[RecipeLinked]:
        row = await db.one(request, queries.LINK_RECIPE,
                           {"slug": slug, "template_id": data.template_id, "subtask": data.subtask})
        linked = RecipeLinked(slug=slug, template_id=data.template_id, subtask=data.subtask, created=row["changed"])
        return Response(linked, status_code=201 if linked.created else 200)

    @delete("/recipes/{slug:str}/links", operation_id="unlinkRecipe", status_code=200,
            summary="Remove the recipe's link to a learning template or subtask (admins, services)",
            description="`removed: false` when there was no such link. 404 unknown recipe or template; "
                        "422 when the template has no such subtask.",
            responses=problems(401, 403, 404, 422))
    async def unlink(self, request: Request, db: DB, slug: str = SlugParam,
                     template_id: UUID = Parameter(description="The learning template"),
                     subtask: int | None = Parameter(default=None, ge=1, le=1000,
                                                     description="The subtask (none: the whole-mission link)"),
                     ) -> RecipeUnlinked:
        row = await db.one(request, queries.UNLINK_RECIPE, {"slug": slug, "template_id": template_id, "subtask": subtask})
        return RecipeUnlinked(slug=slug, template_id=template_id, subtask=subtask, removed=row["changed"])

    @post("/recipes/{slug:str}/usage", operation_id="trackRecipeUsage", status_code=200,
          summary="Record the caller's use of a recipe: viewed, time (seconds), completed or used; returns the totals",
          description="`participantId` is for admins and services (403 otherwise, mentors and agents included). "
                      "A time event needs seconds 1..86400; completed and used are stamped once. `missionId` must be "
                      "a mission of the participant (404).",
          responses=problems(401, 403, 404, 422))
    async def usage(self, request: Request, db: DB, data: JSONBody[RecipeUsageEvent],
                    slug: str = SlugParam) -> RecipeUsage:
        row = await db.one(request, queries.TRACK_RECIPE_USAGE, {
            "participant_id": data.participant_id, "slug": slug, "event": data.event, "seconds": data.seconds,
            "mission_id": data.mission_id})
        return load(RecipeUsage, row["usage"])

    @get("/mission-progress/{mission_id:uuid}/recipes", operation_id="recommendRecipes",
         summary="Recipes to suggest for a learning mission's stage, best first",
         description="Without `subtask`, the stage is the learner's current subtask (the first neither completed "
                     "nor skipped; none left: the whole mission); each item's `subtask` says which stage was used. "
                     "For the mission's participant: stage-linked first, then mission-linked and skill matches by "
                     "score (weighted by measured effectiveness); recipes they completed are left out. Participants "
                     "ask for their own missions (others' are 404); admins and services for any.",
         responses=problems(401, 403, 404, 422))
    async def recommend(self, request: Request, db: DB, mission_id: UUID = MissionId,
                        subtask: int | None = Parameter(default=None, ge=1, le=1000,
                                                        description="The stage (none: the current subtask)"),
                        limit: int = Parameter(default=5, ge=1, le=50)) -> list[RecipeRecommendation]:
        rows = await db.rows(request, queries.RECOMMEND_RECIPES, {"id": mission_id, "subtask": subtask, "limit": limit})
        return [load(RecipeRecommendation, r["recipe"]) for r in rows]
