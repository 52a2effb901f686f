"""An upstream that speaks PEP 503 HTML only, as some mirrors, devpi and private indexes do: the
stand-in's registry behind relative links, whatever the Accept header asks for. A file can be
held part-way, to cut a download while it is in flight."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from standin import StandInPyPI
from standin.wire import render_simple_detail_html


class HtmlMirror:
    def __init__(self, pypi: StandInPyPI) -> None:
        self.pypi = pypi
        self.hold_after: int | None = None  # bytes of a file sent before it waits for `resume`
        self.holding = asyncio.Event()  # a file is waiting
        self.resume = asyncio.Event()
        self.files_served = 0  # file answers begun, `.metadata` ones included
        self.metadata_digests = True  # False: `data-core-metadata="true"`, as PEP 658 allows

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/simple/{name}/", self.page)
        app.router.add_get("/packages/{a}/{b}/{digest}/{filename}", self.file)
        return app

    async def page(self, request: web.Request) -> web.Response:
        project = self.pypi.project(request.match_info["name"])
        if project is None:
            raise web.HTTPNotFound()
        # "../.." makes every link relative to the page: /simple/<name>/ -> /packages/...
        text = render_simple_detail_html("../..", project, project.last_serial)
        if not self.metadata_digests:
            text = re.sub(r'(data-[a-z-]+-metadata)="sha256=[0-9a-f]+"', r'\1="true"', text)
        return web.Response(text=text, content_type="text/html")

    async def file(self, request: web.Request) -> web.StreamResponse:
        filename = request.match_info["filename"]
        stored = self.pypi.file(filename.removesuffix(".metadata"))
        if stored is None:
            raise web.HTTPNotFound()
        body = stored.blob.core_metadata if filename.endswith(".metadata") else stored.blob.content
        if body is None:
            raise web.HTTPNotFound()
        self.files_served += 1
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(body)
        await response.prepare(request)
        cut = len(body) if self.hold_after is None else self.hold_after
        await response.write(body[:cut])
        if cut < len(body):
            self.holding.set()
            await self.resume.wait()
            await response.write(body[cut:])
        await response.write_eof()
        return response
