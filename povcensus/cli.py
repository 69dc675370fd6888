"""The `povcensus` command: one click group whose subcommands live beside the code they drive.

Subcommands are imported lazily (click's LazyGroup pattern) so that `povcensus score` does not
pay for Flask or geopandas, and each package owns its own CLI module.
"""

from __future__ import annotations

import importlib

import click

from povcensus import __version__

# command name -> "module:attribute"; each package registers its commands here.
COMMANDS: dict[str, str] = {
    "score": "povcensus.core_cli:score",
    "synth": "povcensus.core_cli:synth",
    "standards": "povcensus.core_cli:standards",
    "serve": "server.cli:serve",
    "db": "server.cli:db",
    "users": "server.cli:users",
    "tokens": "server.cli:tokens",
    "rounds": "server.cli:rounds",
    "rescore": "server.cli:rescore",
    "demo": "server.demo:demo",
    "report": "server.province.cli:report",
    "sync": "offline_sync.cli:sync",
    "boundaries": "maps.cli:boundaries",
    "map": "maps.cli:map_command",
    "xform": "survey_forms.cli:xform",
    "forms": "povcensus.forms_cli:forms",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name and module_name.startswith(error.name):
                    return None  # that part of the toolkit is not built yet
                raise
            return getattr(module, attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="povcensus")
def main() -> None:
    """povcensus — survey, score and review Vietnam's poor and near-poor households.

    Example: povcensus synth --households 1000 -o demo.jsonl && povcensus score demo.jsonl -o scored.jsonl
    """
