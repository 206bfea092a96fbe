"""vFile: gdb reads the program and its libraries through the guest's own file system."""


class VFile:
    def __init__(self, session):
        self.session = session

    def handle(self, packet: bytes):
        return ""
