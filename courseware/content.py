"""What a content sync reports, shared by the cheat sheet and question bank loaders."""

from dataclasses import dataclass, field


@dataclass
class SyncReport:
    noun: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited in the admin, left alone
    retired: list[str] = field(default_factory=list)  # shipped before, gone from the files: unpublished

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated)

    def summary(self) -> str:
        line = (f"{self.noun}: {len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged ({self.changed} changed)")
        if self.kept:
            line += f"; {len(self.kept)} kept because edited in the admin: {', '.join(self.kept)}"
        if self.retired:
            line += f"; {len(self.retired)} no longer shipped, unpublished: {', '.join(self.retired)}"
        return line
