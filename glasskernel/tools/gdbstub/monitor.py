"""monitor (qRcmd): commands that reach the kernel."""


class Monitor:
    def __init__(self, session):
        self.session = session

    def run(self, line: str):
        return ""
