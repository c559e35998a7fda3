"""The web app's routes by area, each an ``APIRouter`` that takes the shared state
(:class:`dlproof.web.deps.Deps`) by injection: ``pages`` (index, question, search, map),
``quiz`` (the FSRS quiz page, its review POST and JSON), ``runs`` (the experiment run API) and
``files`` (static files, MathJax, figures, evidence, health). The mock interview
(:mod:`dlproof.web.interview`) and the practice pages (:mod:`dlproof.web.practice_pages`) are
routers of their own."""
