"""``dlproof serve``: the local web app (registered on the main CLI by ``cli.py``).

FastAPI and uvicorn are imported inside the command, so ``dlproof --help`` stays fast.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to bind. The default is local only; "
                                 "binding 0.0.0.0 exposes the app (and its Run buttons) to your network."),
        port: int = typer.Option(8000, min=0, max=65535, help="TCP port (0 picks a free one)."),
        open_browser: bool = typer.Option(False, "--open", help="Open the index in a browser."),
    ) -> None:
        """Serve the handbook, experiments and quiz as a local web app (offline)."""
        import socket
        import threading
        import webbrowser

        import uvicorn

        from dlproof.web.app import LOCAL_HOSTS, create_app

        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.secho(f"warning: binding {host}: anyone who can reach it can run experiments.",
                        fg="yellow", err=True)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(128)  # connections made before uvicorn is up wait in the backlog
        except OSError as exc:
            typer.secho(f"cannot bind {host}:{port}: {exc.strerror}", fg="red", err=True)
            raise typer.Exit(2) from None
        real_port = sock.getsockname()[1]
        url = f"http://{'[' + host + ']' if ':' in host else host}:{real_port}/"
        typer.echo(f"dlproof serving on {url}  (Ctrl-C stops)")
        if open_browser:
            threading.Timer(0.8, lambda: webbrowser.open(url)).start()
        local = host in ("127.0.0.1", "localhost", "::1")
        # bound to a local address: answer only to local host names (DNS-rebinding guard)
        app = create_app(allowed_hosts=LOCAL_HOSTS if local else None)
        config = uvicorn.Config(app, log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])
