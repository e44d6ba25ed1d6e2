import sibling


def main(event, context):
    return "src/app.main " + sibling.NAME
