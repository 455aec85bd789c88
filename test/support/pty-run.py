#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would: answers prompts from a script.

usage: pty-run.py <script.json> -- <command...>
script.json: {"answers": [[<regex seen in output>, <text to type>], ...], "timeout": <seconds>, "size": [<rows>, <columns>]}
Prints {"code": <exit code or null>, "output": <everything the terminal showed>} as JSON on stdout.
"""
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

def main():
    sep = sys.argv.index('--')
    with open(sys.argv[1]) as f:
        script = json.load(f)
    answers = [(re.compile(p), text) for p, text in script.get('answers', [])]
    deadline = time.time() + script.get('timeout', 60)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[sep + 1], sys.argv[sep + 1:])
    # Default: a terminal of 50 rows and 160 columns (a fresh pty is 0 x 0).
    rows, cols = script.get('size', [50, 160])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    output = b''
    answered = 0
    code = None
    while True:
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b''
            if not chunk:
                break
            output += chunk
            text = output.decode('utf-8', 'replace')
            if answered < len(answers) and answers[answered][0].search(text):
                time.sleep(0.2)  # let the prompt finish drawing before typing
                os.write(fd, answers[answered][1].encode())
                answered += 1
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({'code': code, 'output': output.decode('utf-8', 'replace')}))

main()
